/**
 * The MCP server as a library entry (`tslima/mcp`), apart from the main one so that loading tslima
 * does not load the MCP SDK: `serveMcp` is `tslima mcp serve`, `serveMcpHttp` its `--http`, `mcpInfo` is `mcp info`.
 */
export { serveMcp, mcpInfo, type McpServeOptions } from "./mcp/server.js";
export { serveMcpHttp, type McpHttpOptions } from "./mcp/http.js";
export type { Flavour as McpFlavour } from "./mcp/schemas.js";
