/**
 * The window's keyboard shortcuts. A pure mapping from a key press to an action, so every
 * shortcut is listed once and tested without a window.
 */
import { t } from "./i18n";

/** What a shortcut asks for. */
export type ShortcutAction =
  | "add-job"
  | "search"
  | "cancel-selected"
  | "open-details"
  | "close"
  | "select-next"
  | "select-previous"
  | "select-first"
  | "select-last"
  | "page-down"
  | "page-up"
  | "toggle-suspend"
  | "open-settings"
  | "show-shortcuts";

/** The parts of a key press the mapping reads. */
export type KeyPress = {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  /** The focused element is a text field, select or button, which owns plain keys. */
  inField: boolean;
  /** The focused element is a button or link (owns Enter and Space). */
  onControl: boolean;
};

/** Shortcuts as shown in tooltips and `aria-keyshortcuts`. */
export const SHORTCUTS = {
  addJob: "Control+N",
  search: "Control+F",
  cancel: "Delete",
  details: "Enter",
  close: "Escape",
  suspend: "Space",
  settings: "Control+,",
  shortcuts: "Shift+? F1",
} as const;

/** One line of the shortcuts overlay (and of the README's table): keys as people read them. */
export type ShortcutHelp = { keys: string[]; does: string };

/**
 * Every shortcut the window has, in the order the overlay lists them: key names and what each
 * does are catalogue ids (`shortcuts.*`) where they differ between languages.
 */
const SHORTCUT_LINES: Array<{ keys: string[]; does: string }> = [
  { keys: ["Ctrl+N"], does: "addJob" },
  { keys: ["Ctrl+F"], does: "search" },
  { keys: ["Ctrl+,"], does: "settings" },
  { keys: ["↑", "↓"], does: "selectNext" },
  { keys: ["Home", "End"], does: "selectEnds" },
  { keys: ["@keyPageUp", "@keyPageDown"], does: "page" },
  { keys: ["Enter"], does: "details" },
  { keys: ["@keySpace"], does: "suspend" },
  { keys: ["Delete"], does: "cancel" },
  { keys: ["Esc"], does: "close2" },
  { keys: ["?", "F1"], does: "help" },
];

/** The shortcuts in the language in force, in the order the overlay lists them. */
export function shortcutHelp(): ShortcutHelp[] {
  const key = (name: string) => (name.startsWith("@") ? t(`shortcuts.${name.slice(1)}`) : name);
  return SHORTCUT_LINES.map((line) => ({ keys: line.keys.map(key), does: t(`shortcuts.${line.does}`) }));
}

/** The action for a key press, or null when it is not a shortcut here. */
export function shortcutFor(press: KeyPress): ShortcutAction | null {
  const command = press.ctrlKey || press.metaKey;
  if (command && !press.altKey) {
    const key = press.key.toLowerCase();
    if (key === "n" && !press.shiftKey) return "add-job";
    if (key === "f" && !press.shiftKey) return "search";
    if (key === ",") return "open-settings";
    return null;
  }
  if (press.key === "Escape") return "close";
  if (press.key === "F1" && !press.altKey) return "show-shortcuts";
  if (press.inField || press.altKey || command) return null;
  switch (press.key) {
    case "Delete":
      return "cancel-selected";
    case "Enter":
      return press.onControl ? null : "open-details";
    case " ":
      return press.onControl ? null : "toggle-suspend";
    case "ArrowDown":
      return "select-next";
    case "ArrowUp":
      return "select-previous";
    case "Home":
      return "select-first";
    case "End":
      return "select-last";
    case "PageDown":
      return "page-down";
    case "PageUp":
      return "page-up";
    case "?":
      return "show-shortcuts";
    default:
      return null;
  }
}

/** Reads a DOM key event into a [`KeyPress`]. */
export function keyPressOf(event: KeyboardEvent): KeyPress {
  const target = event.target instanceof HTMLElement ? event.target : null;
  const tag = target?.tagName ?? "";
  const inField =
    tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target?.isContentEditable ?? false);
  const onControl = tag === "BUTTON" || tag === "A" || tag === "SUMMARY";
  return {
    key: event.key,
    ctrlKey: event.ctrlKey,
    metaKey: event.metaKey,
    altKey: event.altKey,
    shiftKey: event.shiftKey,
    inField,
    onControl,
  };
}
