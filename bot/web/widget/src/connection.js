import { io } from "socket.io-client";

// Talks to Rasa's socket.io channel. Rasa answers only sockets that joined the session, so the
// session_request is sent on every (re)connection, and messages typed before Rasa confirmed the
// session wait in the outbox rather than being lost.
export function connect(server, { sessionId, onSession, onStatus, onBotMessage, onSent, onFeedback }) {
  const socket = io(server, {
    path: "/socket.io",
    // A WebSocket first: it is one connection, so it reaches the same worker process for the
    // whole conversation, where long-polling's separate requests may reach another worker that
    // does not know the session. Polling stays as the fallback for networks that block WebSockets.
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 8000,
  });
  let session = sessionId;
  let ready = false;
  const outbox = [];

  const flush = () => {
    while (ready && outbox.length) {
      socket.emit("user_uttered", { message: outbox.shift(), session_id: session });
      onSent();
    }
  };

  socket.on("connect", () => socket.emit("session_request", { session_id: session }));
  socket.on("session_confirm", (confirmed) => {
    session = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
    ready = true;
    onSession(session);
    flush();
    onStatus("online", outbox.length);
  });
  socket.on("bot_uttered", (message) => onBotMessage(message || {}));
  socket.on("feedback_result", (result) => onFeedback(result || {}));
  socket.on("connect_error", () => {
    ready = false;
    onStatus("unreachable", outbox.length);
  });
  socket.on("disconnect", (reason) => {
    ready = false;
    onStatus("reconnecting", outbox.length);
    // The server closing the socket stops socket.io's automatic reconnection.
    if (reason === "io server disconnect") socket.connect();
  });
  onStatus("connecting", 0);

  return {
    // Returns how many messages are still waiting for the connection.
    send(message) {
      outbox.push(message);
      flush();
      return outbox.length;
    },
    // A rating of the answer to `turn`; false when there is no connection to send it on.
    rate(turn, rating, comment) {
      if (!ready) return false;
      socket.emit("feedback", { session_id: session, turn, rating, comment: comment || undefined });
      return true;
    },
  };
}
