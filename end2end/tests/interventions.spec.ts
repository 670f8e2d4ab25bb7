import { expect, test, type Page } from "@playwright/test";
import { hydrated, unique } from "./helpers";
import { composer, openChat, operatorWithPersona, say } from "./chat-helpers";

// Interventions from the conversation view: a hidden note changes the persona's next
// prompt (the fake LLM signs replies whose system prompt carries `SIGN:<word>`) but never
// shows in the user's chat; draft-assist: the persona suggests, the operator edits and
// sends it as the persona, and the user gets it as a normal persona message.

/** The user's messages list. */
function userMessages(chat: Page) {
  return chat.getByRole("list", { name: "Messages" });
}

test("a hidden note changes the next reply's prompt and never shows in the user's chat", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Noted"));
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "Hello there");
  const user = await uid();

  await op.goto(`/dashboard/monitor/${user}`);
  await hydrated(op);
  const notes = op.getByRole("region", { name: "Hidden notes" });
  const note = "Be gentle with this one. SIGN:gentle";
  await notes.getByLabel("Note to the persona").fill(note);
  await notes.getByRole("button", { name: "Add hidden note" }).click();
  await expect(notes.getByTestId("notes")).toContainText(note);
  await expect(notes.getByLabel("Note to the persona")).toHaveValue("");

  // The user's next turn: the reply is signed, so the note was in its prompt.
  await composer(chat).fill("How are you?");
  await composer(chat).press("Enter");
  await expect(
    userMessages(chat).locator("li.msg[data-sender=assistant] .text").filter({ hasText: /Reply \d+ to: How are you\? — gentle/ }),
  ).toBeVisible();
  // The request log has the exact prompt with the note.
  const log = await (await op.request.get("/admin/requests?limit=10")).json();
  const turn = log.find((r: any) => r.source === "chat" && r.messages.at(-1).content === "How are you?");
  expect(turn.messages[0].content).toContain(note);

  // Never in the user's chat: not live, not after a reload, not in the history API.
  await expect(chat.getByText("Be gentle with this one")).toHaveCount(0);
  await chat.reload();
  await hydrated(chat);
  await expect(userMessages(chat).getByText("How are you?", { exact: true })).toBeVisible();
  await expect(chat.getByText("Be gentle with this one")).toHaveCount(0);
  const history = await (await chat.request.get("/chat/history")).json();
  expect(JSON.stringify(history)).not.toContain("Be gentle");
});

test("draft-assist: the persona suggests, the operator edits, the user gets it as the persona", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Drafty"));
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "I had a rough day");
  const user = await uid();

  await op.goto(`/dashboard/monitor/${user}`);
  await hydrated(op);
  const draft = op.getByRole("region", { name: "Reply as the persona" });
  await draft.getByRole("button", { name: "Suggest a reply" }).click();
  const reply = draft.getByLabel("Reply (sent as the persona)");
  await expect(reply).toHaveValue(/^Reply \d+ to: I had a rough day$/);
  // The suggestion is not a message: neither the user nor the thread has it.
  await expect(userMessages(chat).locator("li.msg[data-sender=assistant]")).toHaveCount(1);

  const edited = "That sounds hard. I am here for you.";
  await reply.fill(edited);
  await draft.getByRole("button", { name: "Send as persona" }).click();
  await expect(reply).toHaveValue("");
  const mine = op.locator("#thread").locator("li.msg[data-sender=assistant]").filter({ hasText: edited });
  await expect(mine.getByTestId("author")).toHaveText(`sent by ${process.env.E2E_EMAIL}, edited`);

  // The user sees it live, as a persona message, with no operator named.
  const theirs = userMessages(chat).locator("li.msg[data-sender=assistant]").filter({ hasText: edited });
  await expect(theirs).toBeVisible();
  await expect(chat.getByText(process.env.E2E_EMAIL!)).toHaveCount(0);
  await chat.reload();
  await hydrated(chat);
  await expect(userMessages(chat).locator("li.msg[data-sender=assistant]").filter({ hasText: edited })).toBeVisible();

  const log = await (await op.request.get("/admin/requests?limit=5")).json();
  expect(log.some((r: any) => r.source === "draft_assist")).toBeTruthy();
});
