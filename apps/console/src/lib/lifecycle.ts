// A platform's lifecycle as registry's state machine (nno_core::platform) decides it,
// so the console offers only the actions that can succeed. The server stays the
// authority: a refused action shows its 409 and the allowed transitions.
import type { PlatformStatus } from "../api/types";

export type Action = "suspend" | "restore" | "cancel" | "delete";

const NEXT: Record<Action, (s: PlatformStatus) => PlatformStatus | null> = {
  suspend: (s) => (s === "active" ? "suspended" : null),
  restore: (s) => (s === "suspended" || s === "pending_cancellation" ? "active" : null),
  cancel: (s) => (s === "active" || s === "suspended" ? "pending_cancellation" : null),
  delete: (s) => (s === "deleted" ? null : "deleted"),
};

export const ACTIONS: readonly Action[] = ["suspend", "restore", "cancel", "delete"];

export function after(status: PlatformStatus, action: Action): PlatformStatus | null {
  return NEXT[action](status);
}

export function allowedActions(status: PlatformStatus): Action[] {
  return ACTIONS.filter((a) => after(status, a) !== null);
}

/** True when the gateway refuses writes on the platform (423 PLATFORM_SUSPENDED). */
export function blocksWrites(status: PlatformStatus): boolean {
  return status === "suspended" || status === "cancelled" || status === "deleted";
}

export const STATUS_LABEL: Record<PlatformStatus, string> = {
  pending: "Pending",
  provisioning: "Provisioning",
  active: "Active",
  suspended: "Suspended",
  pending_cancellation: "Cancelling",
  cancelled: "Cancelled",
  deleted: "Deleted",
};

export type Tone = "neutral" | "progress" | "good" | "warn" | "bad";

export const STATUS_TONE: Record<PlatformStatus, Tone> = {
  pending: "neutral",
  provisioning: "progress",
  active: "good",
  suspended: "warn",
  pending_cancellation: "warn",
  cancelled: "bad",
  deleted: "bad",
};

export const ACTION_TEXT: Record<Action, { label: string; confirm: string; danger: boolean }> = {
  suspend: {
    label: "Suspend",
    confirm: "Suspending stops every write to this platform until it is restored. Reads stay open.",
    danger: true,
  },
  restore: { label: "Restore", confirm: "Restoring makes the platform active again.", danger: false },
  cancel: {
    label: "Cancel",
    confirm: "Cancelling ends the platform at the end of its billing period. You can restore it until then.",
    danger: true,
  },
  delete: {
    label: "Delete",
    confirm: "Deleting removes the platform from every list. This cannot be undone from the console.",
    danger: true,
  },
};
