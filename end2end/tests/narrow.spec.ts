import { expect, test, type Page } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// A phone: nothing on the dashboard may scroll sideways at 390 px.
test.use({ viewport: { width: 390, height: 844 } });

const WIDTH = 390;

/** The page's own width: wide content must wrap or stack (or scroll inside its own box). */
async function expectNoSidewaysScroll(page: Page, what: string) {
  const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
  expect(width, `${what} is ${width} px wide`).toBeLessThanOrEqual(WIDTH);
}

async function visit(page: Page, path: string, heading: RegExp | string) {
  await page.goto(path);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(heading);
  await expectNoSidewaysScroll(page, path);
}

test("at 390 px the dashboard pages and the editor fit the screen", async ({ page, browser }) => {
  // A persona another workspace shares, so that the library lists one.
  const sharerCtx = await browser.newContext();
  const sharer = sharerCtx.request;
  expect((await sharer.post("/admin/login", { data: { username: "sharer@e2e.test", password: process.env.E2E_PASSWORD } })).ok()).toBeTruthy();
  const shared = await sharer.post("/admin/templates", { data: { name: unique("Narrow shared"), content: "You are shared with a rather long template line that goes on and on." } });
  expect((await sharer.post(`/admin/templates/${(await shared.json()).id}/share`)).ok()).toBeTruthy();
  await sharerCtx.close();

  await login(page);
  await expectNoSidewaysScroll(page, "the persona list");
  // A persona with a long name, several versions with notes, labels, a declared variable.
  const name = unique("Narrowcastingcompanionwithaverylongname");
  const res = await page.request.post("/admin/templates", {
    data: { name, content: "You are Narrow, talking with {{ user_id }}.\nA long line: " + "word ".repeat(40) },
  });
  expect(res.status()).toBe(201);
  const id = (await res.json()).id;
  for (const n of [2, 3]) {
    const v = await page.request.post(`/admin/templates/${id}/versions`, {
      data: { content: `You are Narrow v${n}, talking with {{ user_id }}.`, note: `a longer note for version ${n} that says what changed` },
    });
    expect(v.status()).toBe(201);
  }
  expect((await page.request.put(`/admin/templates/${id}/labels/staging`, { data: { version: 2 } })).ok()).toBeTruthy();
  // One in the trash.
  const gone = unique("Narrow deleted");
  const del = await page.request.post("/admin/templates", { data: { name: gone, content: "You are gone." } });
  expect((await page.request.delete(`/admin/templates/${(await del.json()).id}`, { data: { confirm_name: gone } })).status()).toBe(204);

  await visit(page, "/dashboard", "Overview");
  await visit(page, "/dashboard/personas", "Personas");
  await visit(page, "/dashboard/personas/new", "New persona");
  await visit(page, "/dashboard/personas/import", "Import a persona");
  await visit(page, "/dashboard/library", "Library");
  await page.getByTestId("shared-persona").first().getByRole("button", { name: "Clone", exact: true }).click();
  await expectNoSidewaysScroll(page, "the library's clone form");
  await visit(page, "/dashboard/trash", "Trash");

  await visit(page, `/dashboard/personas/${id}`, name);
  await page.getByRole("button", { name: "Add variable" }).click();
  await expectNoSidewaysScroll(page, "the editor with a variable row");
  await page.getByRole("row", { name: /^v1 / }).getByRole("button", { name: "Roll back to v1" }).click();
  await expectNoSidewaysScroll(page, "the editor with the roll-back choices open");
  await page.getByRole("row", { name: /^v3 / }).getByRole("button", { name: "Promote to production" }).click();
  const dialog = page.getByRole("dialog", { name: "Promote v3 to production?" });
  await expect(dialog.getByTestId("dialog-diff-counts")).toBeVisible();
  await expectNoSidewaysScroll(page, "the promote dialog");
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await visit(page, `/dashboard/personas/${id}/diff?from=1&to=3`, "Compare versions");
  await page.getByRole("button", { name: "Show side by side" }).click();
  await expect(page.getByRole("table", { name: "Side-by-side diff" })).toBeVisible();
  await expectNoSidewaysScroll(page, "the side-by-side diff");

  await visit(page, `/dashboard/personas/${id}/playground?compare=2`, "Playground");
  await page.getByLabel("Test message").fill("How wide is the sky?");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByTestId("playground-reply").first()).toBeVisible();
  await expectNoSidewaysScroll(page, "the playground's results");
});

test("at 390 px the dashboard navigation folds behind a Menu button", async ({ page }) => {
  await login(page);
  const nav = page.getByRole("navigation", { name: "Dashboard" });
  const menu = page.getByRole("button", { name: "Menu" });
  // Folded: the page starts right under the top bar.
  await expect(nav).toBeHidden();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await page.screenshot({ path: test.info().outputPath("nav-folded-390.png") });

  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(nav.getByRole("link", { name: "Monitor" })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("nav-open-390.png") });
  await expectNoSidewaysScroll(page, "the open menu");

  // Following a link goes there and folds the menu again.
  await nav.getByRole("link", { name: "Jobs" }).click();
  await expect(page.getByRole("heading", { name: "Jobs", level: 1 })).toBeVisible();
  await expect(nav).toBeHidden();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
});
