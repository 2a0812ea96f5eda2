/** JSON responses in the shape every endpoint uses. */

/** A JSON response with the given status. */
export function jsonResponse(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** An error as `{ "error": { "code", "message" } }`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: HeadersInit = {},
): Response {
  return jsonResponse(status, { error: { code, message, ...extra } }, headers);
}
