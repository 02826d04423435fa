// Confirmation for consequential actions, on Radix's accessible dialog (focus trapped,
// Escape closes, the title and description are announced).
import * as Dialog from "@radix-ui/react-dialog";
import { useState, type ReactNode } from "react";
import { Button, ErrorNotice } from "./ui";

interface Props {
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Asked for when set: a free-text reason sent with the action. */
  reasonLabel?: string;
  onConfirm: (reason: string) => Promise<unknown>;
}

export function ConfirmDialog({ trigger, title, description, confirmLabel, danger, reasonLabel, onConfirm }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState("");
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) {
          setError(null);
          setReason("");
        }
      }}
    >
      <Dialog.Trigger asChild>{trigger}</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{title}</Dialog.Title>
          <Dialog.Description asChild>
            <div>{description}</div>
          </Dialog.Description>
          {reasonLabel ? (
            <div className="field">
              <label htmlFor="confirm-reason">{reasonLabel}</label>
              <textarea id="confirm-reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
          ) : null}
          <ErrorNotice error={error} />
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <Button>Keep it</Button>
            </Dialog.Close>
            <Button
              variant={danger ? "danger" : "primary"}
              busy={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onConfirm(reason.trim());
                  setOpen(false);
                  setReason("");
                } catch (e) {
                  setError(e);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel}
            </Button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
