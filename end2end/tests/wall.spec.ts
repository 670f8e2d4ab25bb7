import { expect, test, type Page } from "@playwright/test";
import { hydrated, unique } from "./helpers";
import { openChat, operatorWithPersona, say } from "./chat-helpers";

// The live wall: new users and messages appear without a reload, and a halt (or a
// guardrail flag) moves a conversation to the top as it happens.

/** The user ids of the wall's rows, top to bottom (other tests' users share the e2e
 *  workspace, some of them halted or flagged: compare this test's users among themselves). */
async function order(op: Page): Promise<string[]> {
  return op.locator("table.wall tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-user") ?? ""));
}

// FIXME (open defect, issue 10 note): passes alone, fails after other spec files have left
// users in the shared e2e workspace (a new user's row does not appear live, or the order
// check fails). The integration test `wall::the_wall_puts_risk_first_and_filters` covers
// the ordering; the live insertion with a populated wall needs a fix in monitor/wall.rs.
test.fixme("the live wall shows new conversations and reorders when one is halted", async ({ browser }) => {
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
  const ours = async () => (await order(op)).filter((u) => u === a || u === b);
  await expect.poll(ours).toEqual([b, a]);
  await expect(rowB.getByTestId("unread")).toHaveText("2");

  // Halting the older conversation moves it to the top, marked halted, without a reload.
  const halted = await op.request.post(`/admin/interventions/${a}/halt`, { data: { reason: "needs a look" } });
  expect(halted.ok()).toBeTruthy();
  await expect.poll(ours).toEqual([a, b]);
  await expect(op.locator(`tr[data-user="${a}"]`).getByTestId("wall-status")).toHaveText("halted");

  // The status filter shows halted conversations only.
  await op.getByLabel("Status").selectOption("halted");
  await expect.poll(ours).toEqual([a]);
  await op.getByLabel("Status").selectOption("");
  await expect(rowB).toBeVisible();
  // Search by message text.
  await op.getByLabel("Search").fill("Second user");
  await expect.poll(() => order(op)).toEqual([b]);
});
