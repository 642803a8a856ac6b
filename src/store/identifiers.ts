/** Lima's identifier rule (pkg/identifiers), for instance and disk names: letters (either case) and digits, with single ".", "_" or "-" between them. */
export const IDENTIFIER_RE = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
