// The conversation lives in localStorage so a reload shows it again and resumes the same Rasa
// session. Storage can be missing or full (private browsing); the widget then works for the page.

const MAX_MESSAGES = 200;

export function openStore(key) {
  let state = { sessionId: null, messages: [], open: false };
  try {
    const saved = JSON.parse(window.localStorage.getItem(key) || "null");
    if (saved && Array.isArray(saved.messages)) state = { ...state, ...saved };
  } catch {
    // unreadable or unavailable: start afresh
  }
  const save = () => {
    try {
      window.localStorage.setItem(key, JSON.stringify(state));
    } catch {
      // not persisted; the conversation still works on this page
    }
  };
  return {
    get: () => state,
    update(changes) {
      state = { ...state, ...changes };
      save();
    },
    add(message) {
      state = { ...state, messages: [...state.messages, message].slice(-MAX_MESSAGES) };
      save();
    },
  };
}
