/**
 * A stand-in shell for component tests, installed with Tauri's own `mockIPC`: it records every
 * command and answers from a table, so the real `ipc.ts` runs unchanged.
 */
import { mockIPC } from "@tauri-apps/api/mocks";
import type { IpcError } from "../src/lib/shell-types";

/** One command the window sent. */
export type SentCommand = { command: string; args: Record<string, unknown> };

/** An answer: a value, or a thrown IpcError. */
type Answer = unknown | ((args: Record<string, unknown>) => unknown);

/** Installs the stand-in; returns the list of commands it receives. */
export function fakeShell(answers: Record<string, Answer>): SentCommand[] {
  const sent: SentCommand[] = [];
  mockIPC((command, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    sent.push({ command, args });
    if (!(command in answers)) return null;
    const answer = answers[command];
    return typeof answer === "function" ? (answer as (a: Record<string, unknown>) => unknown)(args) : answer;
  });
  return sent;
}

/** A rejection as the shell sends it. */
export function ipcError(code: number, name: string, message: string): Promise<never> {
  const error: IpcError = { code, name, message };
  return Promise.reject(error);
}

/** The commands sent, by name only. */
export function names(sent: SentCommand[]): string[] {
  return sent.map((entry) => entry.command);
}
