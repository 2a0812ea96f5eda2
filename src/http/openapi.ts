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
      [400, 401, 403, 404, 405, 409, 410, 413].map((code) => [
        `E${code}`,
        {
          description: {
            400:
              "malformed JSON, an unknown or invalid field, or a username the policy refuses (with reasons and suggestions)",
            401: "no or wrong bearer token",
            403: "the write endpoints are off (no API_TOKEN)",
            404: "no account has this public ID",
            405: "method not allowed on this path",
            409:
              "the username is taken, held or a look-alike (with suggestions), or the account mirrors a legacy user",
            410: "the account was deleted; its public ID is never reused",
            413: "the body is larger than API_MAX_BODY_BYTES",
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
        security: [{ bearer: [] }],
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                additionalProperties: false,
                properties: {
                  username: { type: "string" },
                  display_name: { type: ["string", "null"], maxLength: 200 },
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
        },
      },
    },
  },
} as const;
