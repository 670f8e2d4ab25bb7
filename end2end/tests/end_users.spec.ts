import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";
import { say } from "./chat-helpers";

// Issue 9: an operator creates an end user on the dashboard; that user signs in to the
// chat (the ChatLogin box, on /chat/login and wherever the chat page mounts it), chats
// as themselves, and signs out.

test("an operator creates an end user who signs in, chats and signs out", async ({ browser }) => {
  const op = await (await browser.newContext()).newPage();
  await login(op);
  await op.getByRole("link", { name: "End users" }).click();
  await expect(op.getByRole("heading", { name: "End users" })).toBeVisible();
  await hydrated(op);

  const name = unique("ann").replace(/\s+/g, "-");
  const email = `${name}@e2e.test`;
  const password = "a long password";
  await op.getByText("New end user").click();
  const form = op.locator("details.create-end-user");
  await form.getByLabel("Email", { exact: true }).fill(email);
  await form.getByLabel("Password", { exact: true }).fill(password);
  await form.getByLabel("Display name", { exact: true }).fill("Ann E2E");
  await form.getByRole("button", { name: "Create end user" }).click();
  const row = op.getByTestId(`end-user-${email}`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("Active");

  // The end user, in a browser of their own.
  const ctx = await browser.newContext();
  const chat = await ctx.newPage();
  await chat.goto("/chat/login");
  await hydrated(chat);
  const account = chat.getByRole("region", { name: "Account" });
  await account.getByLabel("Email", { exact: true }).fill(email);
  await account.getByLabel("Password", { exact: true }).fill("wrong password");
  await account.getByRole("button", { name: "Sign in" }).click();
  await expect(account.getByRole("alert")).toContainText("wrong email or password");
  await account.getByLabel("Password", { exact: true }).fill(password);
  await account.getByRole("button", { name: "Sign in" }).click();
  await expect(account).toContainText("Signed in as Ann E2E");

  await chat.getByRole("link", { name: "Back to the chat" }).click();
  await hydrated(chat);
  await say(chat, "hello from my account");
  // Stored as the end user (their external id is the email), not as the chat cookie.
  const conv = await op.request.get(`/admin/users/${encodeURIComponent(email)}`);
  expect(conv.status()).toBe(200);
  expect(JSON.stringify(await conv.json())).toContain("hello from my account");

  // Signing out: back to the sign-in form; the account's chats are no longer this browser's.
  await chat.goto("/chat/login");
  await hydrated(chat);
  await account.getByRole("button", { name: "Sign out" }).click();
  await expect(account.getByRole("button", { name: "Sign in" })).toBeVisible();
  const me = await chat.request.get("/user/me");
  expect(me.status()).toBe(401);

  // Deactivated on the dashboard: the login is refused.
  await op.reload();
  await hydrated(op);
  await op.getByTestId(`end-user-${email}`).getByRole("button", { name: "Deactivate" }).click();
  await expect(op.getByTestId(`end-user-${email}`)).toHaveCount(0);
  await account.getByLabel("Email", { exact: true }).fill(email);
  await account.getByLabel("Password", { exact: true }).fill(password);
  await account.getByRole("button", { name: "Sign in" }).click();
  await expect(account.getByRole("alert")).toContainText("wrong email or password");
});
