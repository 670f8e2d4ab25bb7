import { expect, test, type Page } from "@playwright/test";
import { hydrated, unique } from "./helpers";
import { openChat, operatorWithPersona, say } from "./chat-helpers";

// The live wall: new users and messages appear without a reload, and a halt (or a
// guardrail flag) moves a conversation to the top as it happens.

/** The user ids of the wall's rows, top to bottom. */
async function order(op: Page): Promise<string[]> {
  return op.locator("table.wall tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-user") ?? ""));
}

test("the live wall shows new conversations and reorders when one is halted", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Wall"));
  const first = await openChat(browser, `?persona=${id}`);
  await say(first.chat, "First user here");
  const a = await first.uid();

  await op.goto("/dashboard/monitor");
  await hydrated(op);
  await expect(op.locator(`tr[data-user="${a}"]`)).toBeVisible();

  // A new user appears at the top, live.
  const second = await openChat(browser, `?persona=${id}`);
  await say(second.chat, "Second user here");
  const b = await second.uid();
  const rowB = op.locator(`tr[data-user="${b}"]`);
  await expect(rowB).toBeVisible();
  await expect(rowB.getByTestId("last-message")).toContainText("Second user here");
  await expect.poll(async () => (await order(op)).slice(0, 2)).toEqual([b, a]);
  await expect(rowB.getByTestId("unread")).toHaveText("2");

  // Halting the older conversation moves it to the top, marked halted, without a reload.
  const halted = await op.request.post(`/admin/interventions/${a}/halt`, { data: { reason: "needs a look" } });
  expect(halted.ok()).toBeTruthy();
  await expect.poll(async () => (await order(op)).slice(0, 2)).toEqual([a, b]);
  await expect(op.locator(`tr[data-user="${a}"]`).getByTestId("wall-status")).toHaveText("halted");

  // The status filter shows halted conversations only.
  await op.getByLabel("Status").selectOption("halted");
  await expect.poll(() => order(op)).toEqual([a]);
  await op.getByLabel("Status").selectOption("");
  await expect(rowB).toBeVisible();
  // Search by message text.
  await op.getByLabel("Search").fill("Second user");
  await expect.poll(() => order(op)).toEqual([b]);
});
