import { expect, type Browser, type Page } from "@playwright/test";
import { hydrated, login } from "./helpers";

// Shared by the specs that chat (streaming, chats, guardrails, wall, jobs…): an operator
// with a published persona, a fresh end user with the chat open, the composer, a
// guardrail set on a persona.

/** An operator's page (logged in) and a published persona made through the REST API. */
export async function operatorWithPersona(browser: Browser, name: string): Promise<{ op: Page; id: number }> {
  const op = await (await browser.newContext()).newPage();
  await login(op);
  const res = await op.request.post("/admin/templates", { data: { name, content: `You are ${name}.` } });
  expect(res.status()).toBe(201);
  return { op, id: (await res.json()).id };
}

/** A fresh end user (own cookie) with the chat open (`query`, e.g. `?persona=3`), hydrated. */
export async function openChat(browser: Browser, query = "", viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport });
  const chat = await ctx.newPage();
  await chat.goto(`/chat${query}`);
  await hydrated(chat);
  const uid = async () => (await ctx.cookies()).find((c) => c.name === "pd_uid")!.value;
  return { chat, uid };
}

export function composer(chat: Page) {
  return chat.getByRole("textbox", { name: "Message", exact: true });
}

export function escapeRegex(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Sends `text` and waits for the fake LLM's stored reply to it. */
export async function say(chat: Page, text: string) {
  await composer(chat).fill(text);
  await composer(chat).press("Enter");
  const messages = chat.getByRole("list", { name: "Messages" });
  await expect(messages.locator("li.msg[data-sender=assistant] .text").filter({ hasText: new RegExp(`^\\s*Reply \\d+ to: ${escapeRegex(text)}\\s*$`) })).toBeVisible();
  await expect(chat.getByTestId("streaming-reply")).toHaveCount(0);
}

/** Fails the test if the page opens any dialog (an injected `alert(…)` that ran). */
export function failOnDialog(page: Page) {
  page.on("dialog", async (d) => {
    await d.dismiss().catch(() => {});
    throw new Error(`a dialog opened: ${d.message()}`);
  });
}

/** A guardrail of the workspace made through the REST API, used by persona `personaId`. */
export async function guardrailFor(op: Page, personaId: number, rules: unknown[]): Promise<number> {
  const name = `e2e_${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
  const res = await op.request.post("/admin/guardrails", { data: { name, rules } });
  expect(res.status()).toBe(201);
  const id = (await res.json()).id;
  const use = await op.request.put(`/admin/guardrails/${id}/personas`, { data: { persona_ids: [personaId] } });
  expect(use.ok()).toBeTruthy();
  return id;
}
