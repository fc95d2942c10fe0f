// The server lives only as long as someone can talk to it. When the relay's channel closes (the
// relay or the editor was killed) or the stream stops making sense (a Content-Length that is not
// a number, a message that never finishes), it must exit: a client can restart a server that
// exited, not one that lives on deaf, holding a model in memory.
import type { Socket } from "node:net";
import type { StreamMessageReader } from "vscode-languageserver/node";

/** A message that has waited this long for the rest of its bytes never gets them. */
const PARTIAL_MESSAGE_LIMIT_MS = 20_000;

/** Calls `lost` once, with the reason, when the channel can no longer carry messages. */
export function watchChannel(channel: Socket, reader: StreamMessageReader, lost: (reason: string) => void): void {
  let reported = false;
  const report = (reason: string): void => {
    if (reported) return;
    reported = true;
    lost(reason);
  };
  channel.once("end", () => {
    report("the channel to the editor closed");
  });
  channel.once("close", () => {
    report("the channel to the editor closed");
  });
  // Framing errors leave the reader unable to find the next message: every later one is lost.
  reader.onError((error) => {
    report(`the protocol stream is broken: ${error.message}`);
  });
  // Reported every 10 s that a message goes without more bytes, with the same token until it completes.
  let waiting = { token: -1, ms: 0 };
  reader.onPartialMessage(({ messageToken, waitingTime }) => {
    waiting = { token: messageToken, ms: (messageToken === waiting.token ? waiting.ms : 0) + waitingTime };
    if (waiting.ms >= PARTIAL_MESSAGE_LIMIT_MS) report(`a message has waited ${waiting.ms / 1000} s for the rest of its bytes`);
  });
}
