/**
 * SftpError: an SFTP status or the end of the connection, with the message Go's pkg/sftp and os
 * errors print (MCP clients written for Lima compare it), and the checks of a reply against the
 * one asked for. Pure.
 */
import { FX, FXP, type Reply } from "./sftp-packet.js";

/** The status of an SftpError for a connection that ended (the child died, or spoke no SFTP). */
export const CONNECTION_ENDED = -1;

/** The longest server message kept in an error. */
const MAX_MESSAGE = 300;

/**
 * An SFTP status (`status` is its SSH_FX_* code) or a transport failure (`status` -1). `message`:
 * SSH_FX_NO_SUCH_FILE "file does not exist", SSH_FX_PERMISSION_DENIED "permission denied", other
 * statuses the server's message (or "failure"); `path` is the path of the call.
 */
export class SftpError extends Error {
  override readonly name = "SftpError";

  constructor(
    readonly status: number,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** The server's text as it may be shown: no control characters, bounded. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}...` : clean;
}

/** The error for a STATUS reply that is not OK. */
export function statusError(code: number, serverMessage: string, path?: string): SftpError {
  if (code === FX.NO_SUCH_FILE) return new SftpError(code, "file does not exist", path);
  if (code === FX.PERMISSION_DENIED) return new SftpError(code, "permission denied", path);
  const text = printable(serverMessage);
  return new SftpError(code, text === "" ? "failure" : text, path);
}

/** The reply as the type asked for: a STATUS becomes its SftpError, another type is BAD_MESSAGE. */
export function expectReply<T extends Reply["type"]>(r: Reply, type: T, path: string, what: string): Extract<Reply, { type: T }> {
  if (r.type === type) return r as Extract<Reply, { type: T }>;
  if (r.type === FXP.STATUS && r.code !== FX.OK) throw statusError(r.code, r.message, path);
  throw new SftpError(FX.BAD_MESSAGE, `the server answered ${what} with a packet of type ${r.type}`, path);
}

/** Nothing but an OK STATUS will do. */
export function expectOk(r: Reply, path: string, what: string): void {
  if (r.type !== FXP.STATUS) throw new SftpError(FX.BAD_MESSAGE, `the server answered ${what} with a packet of type ${r.type}`, path);
  if (r.code !== FX.OK) throw statusError(r.code, r.message, path);
}
