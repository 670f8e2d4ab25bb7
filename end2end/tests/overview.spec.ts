import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// Issue 11: the Overview is the dashboard's first page — cards for today, bar charts
// with their numbers, figures per persona version, model prices for the cost card.

test("the overview shows today's chats in its cards and charts", async ({ page, browser }) => {
  await login(page);
  // A persona of its own and a turn with it, through the REST chat the original had.
  const name = unique("Overviewed");
  const res = await page.request.post("/admin/templates", { data: { name, content: `You are ${name}.` } });
  expect(res.status()).toBe(201);
  const user = unique("ov-user").replace(/\s/g, "-");
  const chat = await page.request.post("/chat", { data: { user_id: user, message: "hello overview", template_name: name } });
  expect(chat.ok()).toBeTruthy();

  await page.goto("/dashboard");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByRole("link", { name: "24 hours" })).toHaveAttribute("aria-current", "page");
  // Cards: at least this turn's two messages today.
  const messages = page.getByTestId("card-messages").locator(".value");
  expect(Number((await messages.innerText()).replace(/\D/g, ""))).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId("card-response").locator(".value")).toHaveText(/\d+ (ms|s)$/);

  // The messages chart draws bars with a labelled peak, and says the same in a table.
  const chart = page.getByTestId("chart-messages");
  await expect(chart.getByRole("heading", { name: "Messages per hour" })).toBeVisible();
  const heights = await chart.locator("rect").evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("height"))));
  expect(heights).toHaveLength(24);
  expect(Math.max(...heights)).toBeGreaterThan(0);
  await expect(chart.locator("text.value")).toHaveCount(1);
  await chart.getByText("As a table").click();
  await expect(chart.getByRole("table")).toBeVisible();
  await expect(page.getByTestId("chart-latency").locator("rect")).toHaveCount(8);

  // The persona's version has a row and a bar in the per-version charts.
  const row = page.getByTestId("version-row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row).toContainText("v1");
  await expect(row).toContainText("production");
  await expect(page.getByTestId("chart-version-replies").getByRole("listitem").filter({ hasText: `${name} v1` })).toContainText("1");

  await page.screenshot({ path: test.info().outputPath("overview-1280.png"), fullPage: true });

  // 30 days: one bar per day.
  await page.getByRole("link", { name: "30 days" }).click();
  await expect(page).toHaveURL(/\/dashboard\?range=30d$/);
  await expect(page.getByTestId("chart-messages").getByRole("heading", { name: "Messages per day" })).toBeVisible();
  await expect(page.getByTestId("chart-messages").locator("rect")).toHaveCount(30);

  // On a phone the charts stack and stay inside the screen.
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await page.context().storageState() })).newPage();
  await phone.goto("/dashboard");
  await hydrated(phone);
  const box = await phone.getByTestId("chart-messages").boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  await phone.screenshot({ path: test.info().outputPath("overview-390.png"), fullPage: true });
});

test("a model price makes today's cost known", async ({ page }) => {
  await login(page);
  await page.request.post("/chat", { data: { user_id: unique("cost-user").replace(/\s/g, "-"), message: "hello cost" } });
  await page.goto("/dashboard");
  await hydrated(page);
  const prices = page.getByRole("region", { name: "Model prices" });
  await prices.getByLabel("Model").fill("fake-e2e");
  await prices.getByLabel("Prompt $/M").fill("2.5");
  await prices.getByLabel("Completion $/M").fill("10");
  await prices.getByRole("button", { name: "Set price" }).click();
  await expect(prices.getByRole("row").filter({ hasText: "fake-e2e" })).toContainText("$2.50");
  await page.reload();
  await expect(page.getByTestId("card-cost").locator(".value")).toHaveText(/^\$\d+\.\d\d$/);
  await expect(page.getByTestId("card-cost")).not.toContainText("fake-e2e");
  // Removed again, the card names the model without a price.
  await prices.getByRole("row").filter({ hasText: "fake-e2e" }).getByRole("button", { name: "Remove" }).click();
  await expect(prices.getByRole("row").filter({ hasText: "fake-e2e" })).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("card-cost")).toContainText("fake-e2e");
});
