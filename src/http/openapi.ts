/** The account API described as OpenAPI 3.1, served at `/openapi.json`. */

const error = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        reasons: { type: "array", items: { type: "string" } },
        suggestions: { type: "array", items: { type: "string" }, maxItems: 5 },
      },
    },
  },
};

const account = {
  type: "object",
  required: ["public_id", "username", "username_source", "display_name"],
  properties: {
    public_id: { type: "string", pattern: "^[6789BCDFGHJKLMNPQRTWbcdfghjkmnpqrtwz]{16}$" },
    username: { type: "string" },
    username_source: {
      type: "string",
      enum: ["exact", "normalized", "derived", "generated", "requested"],
    },
    display_name: { type: ["string", "null"] },
  },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [String(code), { $ref: `#/components/responses/E${code}` }]),
  );

const publicIdParameter = {
  name: "public_id",
  in: "path",
  required: true,
  schema: { type: "string" },
};

/** The document. */
export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "identity sync: accounts",
    version: "1.0.0",
    description:
      "Create, rename, delete and resolve accounts of the new identity system. Writes need `Authorization: Bearer <API_TOKEN>`; with no token configured they answer 403.",
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: { Account: account, Error: error },
    responses: Object.fromEntries(
      [400, 401, 403, 404, 405, 409, 410, 413, 429].map((code) => [
        `E${code}`,
        {
          description: {
            400:
              "malformed JSON, an unknown or invalid field, a username the policy refuses (`invalid_username`, with reasons and suggestions), or a display name with NUL or longer than 256 code points once cleaned (`invalid_display_name`, reasons `CONTROL_CHAR` or `TOO_LONG`)",
            401: "no or wrong bearer token",
            403: "the write endpoints are off (no API_TOKEN)",
            404: "no account has this public ID",
            405: "method not allowed on this path",
            409:
              "the username is taken, held or a look-alike (with suggestions), or the account mirrors a legacy user",
            410: "the account was deleted; its public ID is never reused",
            413: "the body is larger than API_MAX_BODY_BYTES",
            429:
              "`rate_limited`: this address checked names faster than USERNAME_CHECK_RATE per second (bursts of USERNAME_CHECK_BURST); the Retry-After header says in how many seconds to try again",
          }[code],
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      ]),
    ),
  },
  paths: {
    "/v1/accounts": {
      post: {
        summary: "Create an account with the requested username, or a generated one",
        description:
          "A username that differs from a valid one only in ASCII case is that name (`Newbie.One` creates `newbie.one`); non-ASCII letters are never folded. The display name is stored cleaned: control, bidi and invisible characters and terminal escapes removed (emoji sequences kept).",
        security: [{ bearer: [] }],
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                additionalProperties: false,
                properties: {
                  username: { type: "string" },
                  display_name: {
                    type: ["string", "null"],
                    description:
                      "at most 256 code points once cleaned; NUL (U+0000) is refused, other controls, bidi and invisible characters are removed",
                  },
                },
              },
            },
          },
        },
        responses: {
          201: {
            description: "created",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Account" } } },
          },
          ...errors(400, 401, 403, 409, 413),
        },
      },
    },
    "/v1/accounts/{public_id}": {
      parameters: [publicIdParameter],
      get: {
        summary: "The public profile of an account",
        responses: {
          200: {
            description: "the account",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Account" } } },
          },
          ...errors(404, 410),
        },
      },
      patch: {
        summary: "Rename an account through the policy; the old name is held",
        security: [{ bearer: [] }],
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                additionalProperties: false,
                required: ["username"],
                properties: { username: { type: "string" } },
              },
            },
          },
        },
        responses: {
          200: {
            description: "renamed",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Account" } } },
          },
          ...errors(400, 401, 403, 404, 409, 410, 413),
        },
      },
      delete: {
        summary: "Tombstone a native account: its public ID is kept forever, its name held",
        security: [{ bearer: [] }],
        responses: {
          200: { description: "deleted" },
          ...errors(401, 403, 404, 409, 410),
        },
      },
    },
    "/v1/usernames/{name}": {
      parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
      get: {
        summary: "Whether a new sign-up could have this username",
        description:
          "Answers about the name with its ASCII capitals folded; when that folded name is free and differs from the one asked, it is the first suggestion. With the bearer token, reasons include `TAKEN`, `HELD` (released recently) and `LOOKALIKE` (same skeleton as an existing name). Without it, those three all read `UNAVAILABLE`, so the check cannot tell who has which name; policy reasons (`TOO_SHORT`, `BAD_SHAPE`, `RESERVED`, `PROFANE`, `PROTECTED_LOOKALIKE`, `NUMBER_LIKE`…) are given to everyone. Anonymous checks are rate-limited per client address (token bucket: USERNAME_CHECK_RATE per second, bursts of USERNAME_CHECK_BURST).",
        security: [{}, { bearer: [] }],
        responses: {
          200: {
            description: "the answer",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["available", "reasons", "suggestions"],
                  properties: {
                    available: { type: "boolean" },
                    reasons: { type: "array", items: { type: "string" } },
                    suggestions: { type: "array", items: { type: "string" }, maxItems: 5 },
                  },
                },
              },
            },
          },
          429: {
            $ref: "#/components/responses/E429",
          },
        },
      },
    },
  },
} as const;
