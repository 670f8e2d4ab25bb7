import { expect, test, type Page } from "@playwright/test";
import { composer, openChat, operatorWithPersona, say } from "./chat-helpers";
import { hydrated, unique } from "./helpers";

// Several chats with one persona: the chat list (a sidebar, on a phone a panel opened
// from the header), New chat, rename inline, archive / unarchive, delete after a
// confirmation; each chat opens with its own messages.

function chatList(page: Page) {
  return page.getByRole("list", { name: "Chats", exact: true });
}

function messages(page: Page) {
  return page.getByRole("list", { name: "Messages" });
}

/** Opens the menu of the chat titled `title` and presses `action`. */
async function chatAction(page: Page, title: string, action: string) {
  await page.getByRole("button", { name: `Actions for ${title}` }).click();
  await page.getByRole("button", { name: action, exact: true }).click();
}

test("new chat, open either one with its own messages, rename, archive and unarchive, delete", async ({ browser }) => {
  const name = unique("Orion");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`);
  await expect(chatList(chat)).toContainText("No chats yet.");
  await say(chat, "First chat about stars");
  // Called by its first message.
  await expect(chatList(chat).getByRole("listitem")).toHaveCount(1);
  await expect(chatList(chat).getByRole("button", { name: /^First chat about stars/ })).toBeVisible();

  await chat.getByRole("button", { name: "New chat" }).click();
  await expect(chat.getByText(`Say hello to ${name}.`)).toBeVisible();
  await expect(chatList(chat).getByRole("listitem")).toHaveCount(2);
  await say(chat, "Second chat about moons");
  await expect(messages(chat).getByText("First chat about stars")).toHaveCount(0);
  await expect(chatList(chat).getByRole("listitem").first()).toContainText("Second chat about moons");
  await chat.screenshot({ path: test.info().outputPath("chats-1280.png") });

  // Open the first one: its own messages.
  await chatList(chat).getByRole("button", { name: /^First chat about stars/ }).click();
  await expect(messages(chat).getByText("First chat about stars", { exact: true })).toBeVisible();
  await expect(messages(chat).getByText("Second chat about moons")).toHaveCount(0);
  await expect(chatList(chat).locator("li[aria-current=true]")).toContainText("First chat about stars");

  // Rename inline (Enter saves); the name stays after a reload.
  await chatAction(chat, "First chat about stars", "Rename");
  const title = chat.getByRole("textbox", { name: "Chat title" });
  await expect(title).toHaveValue("First chat about stars");
  await title.fill("Star notes");
  await title.press("Enter");
  await expect(chatList(chat).getByRole("button", { name: /^Star notes/ })).toBeVisible();
  await chat.reload();
  await hydrated(chat);
  await expect(chatList(chat).getByRole("button", { name: /^Star notes/ })).toBeVisible();

  // Archive: gone from the list, shown under the toggle, and back again.
  await chatAction(chat, "Star notes", "Archive");
  await expect(chatList(chat).getByRole("button", { name: /^Star notes/ })).toHaveCount(0);
  await chat.getByRole("button", { name: "Show archived chats" }).click();
  const archived = chat.getByRole("list", { name: "Archived chats" });
  await expect(archived.getByRole("button", { name: /^Star notes/ })).toBeVisible();
  await chatAction(chat, "Star notes", "Unarchive");
  await expect(archived.getByRole("button", { name: /^Star notes/ })).toHaveCount(0);
  await expect(chatList(chat).getByRole("button", { name: /^Star notes/ })).toBeVisible();

  // Delete asks first; Cancel keeps it, Delete removes it for good.
  await chatAction(chat, "Star notes", "Delete");
  const confirm = chat.getByRole("group", { name: "Confirm delete" });
  await expect(confirm).toContainText("Delete this chat and its messages?");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(chatList(chat).getByRole("listitem")).toHaveCount(2);
  await chatAction(chat, "Star notes", "Delete");
  await chat.getByRole("group", { name: "Confirm delete" }).getByRole("button", { name: "Delete" }).click();
  await expect(chatList(chat).getByRole("listitem")).toHaveCount(1);
  await expect(chatList(chat).getByRole("button", { name: /^Star notes/ })).toHaveCount(0);
  await chat.reload();
  await hydrated(chat);
  await expect(chatList(chat).getByRole("listitem")).toHaveCount(1);
});

test("at 390 px the chat list is a panel opened from the header, and the composer stays at the bottom", async ({ browser }) => {
  const name = unique("Pollux");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`, { width: 390, height: 844 });
  for (const text of ["One on the phone", "Two on the phone", "Three on the phone", "Four on the phone"]) await say(chat, text);
  await expect(chatList(chat)).toBeHidden();
  const box = await composer(chat).boundingBox();
  expect(box!.y + box!.height).toBeGreaterThan(844 - 120);
  await chat.screenshot({ path: test.info().outputPath("chat-390-closed.png") });

  const toggle = chat.getByRole("button", { name: "Chats", exact: true });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(chatList(chat)).toBeVisible();
  await chat.screenshot({ path: test.info().outputPath("chat-390-list.png") });
  await chat.getByRole("button", { name: "New chat" }).click();
  await expect(chatList(chat)).toBeHidden();
  await expect(chat.getByText(`Say hello to ${name}.`)).toBeVisible();
  expect(await chat.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);

  // Shift+Enter is a new line, Enter sends.
  await composer(chat).fill("Line one");
  await composer(chat).press("Shift+Enter");
  await composer(chat).pressSequentially("Line two");
  await expect(composer(chat)).toHaveValue("Line one\nLine two");
  await composer(chat).press("Enter");
  await expect(messages(chat).getByText(/^Reply \d+ to: Line one\s+Line two$/)).toBeVisible();
});

test("while paused the banner says so and what the user sends is answered after resume", async ({ browser }) => {
  const name = unique("Castor");
  const { op, id } = await operatorWithPersona(browser, name);
  const { chat, uid } = await openChat(browser, `?persona=${id}`, { width: 390, height: 844 });
  await say(chat, "Before the pause");
  const user = await uid();
  expect((await op.request.post(`/admin/interventions/${user}/halt`, { data: { reason: "Secret operator reason" } })).ok()).toBeTruthy();
  const banner = chat.getByTestId("paused-banner");
  await expect(banner).toContainText("Conversation paused");
  await expect(banner).not.toContainText("Secret operator reason");
  await expect(composer(chat)).toBeEnabled();
  await composer(chat).fill("Sent while paused");
  await composer(chat).press("Enter");
  await expect(messages(chat).getByText("Sent while paused", { exact: true })).toBeVisible();
  await expect(composer(chat)).toBeEnabled();
  await chat.screenshot({ path: test.info().outputPath("paused-390.png") });
  expect((await op.request.post(`/admin/interventions/${user}/resume`)).ok()).toBeTruthy();
  await expect(banner).toHaveCount(0);
  await expect(messages(chat).getByText(/^Reply \d+ to: Sent while paused$/)).toBeVisible();
});
