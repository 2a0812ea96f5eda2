import assert from "node:assert/strict";
import { isEmailShaped, isPhoneShaped } from "./personal_data.ts";

Deno.test("isEmailShaped() spots addresses, also inside other text", () => {
  for (const text of ["bob@example.com", "b\u00f6b@ex\u00e4mple.co.uk", "mail me: a.b@c.io now"]) {
    assert.ok(isEmailShaped(text), text);
  }
  for (const text of ["@bob", "bob@home", "bob", "bob@.com", "bob@example.c"]) {
    assert.ok(!isEmailShaped(text), text);
  }
});

Deno.test("isPhoneShaped() spots phone numbers and other long numbers", () => {
  for (
    const text of ["+14155550123", "(415) 555-0123", "415.555.0123", "5551234", "4111_1111_1111"]
  ) {
    assert.ok(isPhoneShaped(text), text);
  }
  for (const text of ["12345", "1.2.3", "bob5551234", "+1 call me", ""]) {
    assert.ok(!isPhoneShaped(text), text);
  }
});
