import { expect, test } from "@playwright/test";
import { hydrated, login } from "./helpers";

// Issue 11: the REST API's reference. An operator follows the link from the API keys
// page, finds an operation in Swagger UI and runs it with their session; the page loads
// nothing from other hosts.

test("the API reference lists the operations and runs one", async ({ page, baseURL }) => {
  const elsewhere: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).host !== new URL(baseURL!).host) elsewhere.push(r.url());
  });
  await login(page);
  await page.goto("/dashboard/api-keys");
  await hydrated(page);
  const [docs] = await Promise.all([
    page.context().waitForEvent("page"),
    page.getByRole("link", { name: "API reference" }).click(),
  ]);
  docs.on("request", (r) => {
    if (new URL(r.url()).host !== new URL(baseURL!).host) elsewhere.push(r.url());
  });
  await expect(docs.getByRole("heading", { name: /PromptDev/ })).toBeVisible();
  // Grouped by area, each operation with its summary.
  await expect(docs.locator("#operations-tag-templates")).toBeVisible();
  const me = docs.locator("#operations-auth-auth_me");
  await expect(me).toContainText("/admin/me");
  await docs.screenshot({ path: test.info().outputPath("docs-1280.png") });

  // Run GET /admin/me with the browser's session: the operator's own email comes back.
  await me.locator(".opblock-summary").click();
  await me.getByRole("button", { name: "Try it out" }).click();
  await me.getByRole("button", { name: "Execute" }).click();
  const response = me.locator(".responses-table.live-responses-table");
  await expect(response).toContainText("200");
  await expect(response).toContainText(process.env.E2E_EMAIL!);
  await docs.setViewportSize({ width: 390, height: 844 });
  await docs.screenshot({ path: test.info().outputPath("docs-390.png") });
  expect(elsewhere).toEqual([]);
});
