import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// Issue 11: a super admin adds a viewer to their workspace on the Operators page; the
// viewer logs in, is told they have read-only access, and a change is refused clearly.

test("a super admin adds a viewer, who can read but not change", async ({ page, browser }) => {
  await login(page);
  await page.getByRole("link", { name: "Operators" }).click();
  await expect(page).toHaveURL(/\/dashboard\/operators$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Operators" })).toBeVisible();

  const email = `${unique("viewer").replace(/\s/g, "-")}@e2e.test`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Workspace", { exact: true }).selectOption({ label: `Join ${process.env.E2E_EMAIL}` });
  await page.getByLabel("Role in that workspace").selectOption("viewer");
  await page.getByRole("button", { name: "Create operator" }).click();
  await expect(page.getByTestId("new-operator")).toContainText(`${email} created`);
  await expect(page.getByTestId("new-operator")).toContainText("as viewer");
  const password = await page.getByTestId("new-operator-password").innerText();
  expect(password).toHaveLength(20);
  await expect(page.getByTestId("operator-row").filter({ hasText: email })).toContainText("active");
  await page.screenshot({ path: test.info().outputPath("operators-1280.png"), fullPage: true });

  // The viewer, in a browser of their own.
  const context = await browser.newContext();
  const viewer = await context.newPage();
  await viewer.goto("/login");
  await hydrated(viewer);
  await viewer.getByLabel("Email").fill(email);
  await viewer.getByLabel("Password").fill(password);
  await viewer.getByRole("button", { name: "Log in" }).click();
  await expect(viewer).toHaveURL(/\/dashboard$/);
  await expect(viewer.getByTestId("read-only")).toContainText("read-only access");
  await expect(viewer.getByRole("link", { name: "Operators" })).toHaveCount(0);
  // A change is refused with the reason.
  await viewer.goto("/dashboard/settings");
  await hydrated(viewer);
  await viewer.getByRole("button", { name: /Turn anonymous chat/ }).click();
  await expect(viewer.getByRole("alert").first()).toContainText("needs owner");
  await viewer.setViewportSize({ width: 390, height: 844 });
  await viewer.screenshot({ path: test.info().outputPath("viewer-settings-390.png"), fullPage: true });
  await context.close();

  // Deactivating (confirmed) ends the viewer's access.
  const row = page.getByTestId("operator-row").filter({ hasText: email });
  await row.getByRole("button", { name: "Deactivate" }).click();
  await row.getByRole("group", { name: "Confirm" }).getByRole("button", { name: "Deactivate" }).click();
  await expect(row).toContainText("deactivated");
});
