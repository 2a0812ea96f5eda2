import assert from "node:assert/strict";
import { startHttpServer } from "./http_server.ts";
import { jsonResponse } from "./responses.ts";

Deno.test("startHttpServer() tries routes in order and answers 404 or 500 as JSON", async () => {
  const server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    routes: [
      (_request, url) => url.pathname === "/a" ? jsonResponse(200, { route: "a" }) : undefined,
      (_request, url) => {
        if (url.pathname === "/boom") throw new Error("boom");
        return undefined;
      },
      (_request, url) =>
        url.pathname.startsWith("/a") ? jsonResponse(200, { route: "b" }) : undefined,
    ],
  });
  try {
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: response.status, body: await response.json() };
    };
    assert.deepEqual(await get("/a"), { status: 200, body: { route: "a" } });
    assert.deepEqual(await get("/ab"), { status: 200, body: { route: "b" } });
    assert.equal((await get("/nope")).body.error.code, "not_found");
    assert.equal((await get("/nope")).status, 404);
    assert.deepEqual(await get("/boom"), {
      status: 500,
      body: { error: { code: "internal", message: "internal error" } },
    });
  } finally {
    await server.stop();
  }
});
