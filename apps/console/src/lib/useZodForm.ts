// react-hook-form with a zod schema, plus the one thing every form here needs: a
// server error that names a field lands on that field, any other on the form.
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm, type FieldValues, type Path, type UseFormProps } from "react-hook-form";
import type { z } from "zod";
import { ApiError } from "../api/http";

export function useZodForm<S extends z.ZodType<FieldValues, FieldValues>>(
  schema: S,
  opts: Omit<UseFormProps<z.input<S>, unknown, z.output<S>>, "resolver"> = {},
) {
  const form = useForm<z.input<S>, unknown, z.output<S>>({ ...opts, resolver: zodResolver(schema) as never, mode: "onTouched" });
  const [formError, setFormError] = useState<unknown>(null);

  /** Runs `fn` with the parsed values; maps its failure onto the fields or the form. */
  const submit = (fn: (values: z.output<S>) => Promise<unknown>) =>
    form.handleSubmit(async (values) => {
      setFormError(null);
      try {
        await fn(values);
      } catch (e) {
        if (e instanceof ApiError && e.field && e.field in (form.getValues() as object)) {
          form.setError(e.field as Path<z.input<S>>, { type: "server", message: e.message }, { shouldFocus: true });
        } else {
          setFormError(e);
        }
      }
    });
  return { form, submit, formError };
}
