import { expect, test, type Page } from "@playwright/test";
import { hydrated, unique } from "./helpers";
import { guardrailFor, openChat, operatorWithPersona, say } from "./chat-helpers";

// The live wall: new users and messages appear without a reload, and a halt (or a
// guardrail flag) moves a conversation to the top as it happens.

/** The user ids of the wall's rows, top to bottom (other tests' users share the e2e
 *  workspace, some of them halted or flagged: compare this test's users among themselves). */
async function order(op: Page): Promise<string[]> {
  return op.locator("table.wall tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-user") ?? ""));
}

test("the live wall shows new conversations and reorders when one is flagged or halted", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Wall"));
  await guardrailFor(op, id, [{ type: "flag", name: "needs-review", keywords: ["please review"] }]);
  const first = await openChat(browser, `?persona=${id}`);
  await say(first.chat, "First user here");
  const a = await first.uid();

  await op.goto("/dashboard/monitor");
  await hydrated(op);
  // Other tests share the workspace (some of their users halted or flagged, so ahead of
  // ours): the persona filter keeps this test's users on the first page.
  await op.getByLabel("Persona").selectOption(String(id));
  await expect.poll(() => order(op)).toEqual([a]);

  // A new user appears at the top, live.
  const second = await openChat(browser, `?persona=${id}`);
  await say(second.chat, "Second user here");
  const b = await second.uid();
  const rowB = op.locator(`tr[data-user="${b}"]`);
  await expect(rowB.getByTestId("last-message")).toContainText("Second user here");
  await expect.poll(() => order(op)).toEqual([b, a]);
  await expect(rowB.getByTestId("unread")).toHaveText("2");
  await expect(rowB.getByTestId("wall-status")).toHaveText("active");

  // A guardrail flag on the older conversation moves it to the top, marked, live.
  await say(first.chat, "could you please review this");
  await expect.poll(() => order(op)).toEqual([a, b]);
  await expect(op.locator(`tr[data-user="${a}"]`).getByTestId("wall-status")).toHaveText("flagged");

  // A halt outranks a flag: halting the newer one puts it back on top.
  const halted = await op.request.post(`/admin/interventions/${b}/halt`, { data: { reason: "needs a look" } });
  expect(halted.ok()).toBeTruthy();
  await expect.poll(() => order(op)).toEqual([b, a]);
  await expect(rowB.getByTestId("wall-status")).toHaveText("halted");

  // The status filter shows flagged conversations only.
  await op.getByLabel("Status").selectOption("flagged");
  await expect.poll(() => order(op)).toEqual([a]);
  await op.getByLabel("Status").selectOption("");
  await expect.poll(() => order(op)).toEqual([b, a]);
  // Search by message text.
  await op.getByLabel("Search").fill("Second user");
  await expect.poll(() => order(op)).toEqual([b]);
});
