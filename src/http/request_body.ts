/** A JSON request body: size-limited, parsed, validated with zod; each failure a clear 4xx. */
import type { z } from "zod";
import { errorResponse } from "./responses.ts";

/** A body that cannot be used, as the response that says why. */
export class BodyError extends Error {
  override name = "BodyError";
  readonly response: Response;
  constructor(response: Response) {
    super("request body refused");
    this.response = response;
  }
}

/**
 * Reads `request`'s body as JSON of `schema`, reading at most `maxBytes`. Refusals never repeat
 * what was sent: not a byte of the body, not the name of an unknown field.
 *
 * @throws {BodyError} with a 415 (not `application/json`), a 413 (too large), or a 400 (not
 * JSON, or not of the schema).
 */
export async function readJsonBody<T>(
  request: Request,
  schema: z.ZodType<T>,
  maxBytes: number,
): Promise<T> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim();
  if (mediaType.toLowerCase() !== "application/json") {
    throw new BodyError(
      errorResponse(
        415,
        "unsupported_media_type",
        "Cannot read the body: send it as JSON with content-type application/json",
      ),
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of request.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    // The client went away or broke off its body.
    throw new BodyError(
      errorResponse(400, "incomplete_body", "Cannot read the body: it ended early"),
    );
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    // JSON.parse's message quotes the body: say only what is wrong with it.
    throw new BodyError(
      errorResponse(400, "malformed_json", "Cannot parse the body: it is not UTF-8 JSON"),
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The path holds the schema's own field names; an unknown field is not named.
    const where = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new BodyError(
      errorResponse(400, "invalid_body", `Cannot use the body: ${where} ${ISSUES[issue.code]}`),
    );
  }
  return parsed.data;
}

const ISSUES: Record<z.core.$ZodIssue["code"], string> = {
  invalid_type: "has the wrong type",
  too_big: "is too long",
  too_small: "is too short",
  unrecognized_keys: "has a field this request does not take",
  invalid_format: "has the wrong format",
  not_multiple_of: "is not allowed",
  invalid_union: "is not allowed",
  invalid_key: "is not allowed",
  invalid_element: "is not allowed",
  invalid_value: "is not allowed",
  custom: "is not allowed",
};

function tooLarge(maxBytes: number): BodyError {
  return new BodyError(
    errorResponse(
      413,
      "body_too_large",
      `Cannot read the body: it is larger than ${maxBytes} bytes`,
    ),
  );
}
