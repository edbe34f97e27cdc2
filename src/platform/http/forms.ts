import type { z } from 'zod';
import { fieldErrors, type FieldErrors } from './errors.ts';
import { html, type Html } from './html.ts';

// Forms post, validate with zod, and on error come back with a message beside each field and the input kept
// (passwords never are).

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors; values: Record<string, string> };

export function parseForm<S extends z.ZodType>(schema: S, body: unknown, keep: readonly string[]): FormResult<z.infer<S>> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, errors: fieldErrors(parsed.error), values: keptValues(body, keep) };
}

/** What was typed in the fields `keep`, for a form sent back (also when the service, not zod, refused it). */
export function keptValues(body: unknown, keep: readonly string[]): Record<string, string> {
  const raw = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keep.map((k) => [k, typeof raw[k] === 'string' ? raw[k] : '']));
}

/** The first field (by its path) whose text holds a NUL character, anywhere in a parsed body; files are not text. */
export function fieldWithNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '_' : undefined;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = fieldWithNul(inner, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

export type FieldOptions = {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'tel' | 'file';
  value?: string | undefined;
  error?: string | undefined;
  autocomplete?: string;
  inputmode?: 'numeric' | 'text';
  hint?: string;
};

/** A labelled input with its error announced to screen readers and tied to the field. */
export function field(o: FieldOptions): Html {
  const id = `f-${o.name}`;
  const described = [o.hint ? `${id}-hint` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${o.error ? ' has-error' : ''}">
  <label for="${id}">${o.label}</label>
  ${o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : ''}
  <input id="${id}" name="${o.name}" type="${o.type ?? 'text'}"${o.value ? html` value="${o.value}"` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${described ? html` aria-describedby="${described}"` : ''}${o.error ? html` aria-invalid="true"` : ''}>
  ${o.error ? html`<span class="error" id="${id}-error">${o.error}</span>` : ''}
</div>`;
}

export function formError(message: string | undefined): Html {
  return message ? html`<p class="form-error" role="alert">${message}</p>` : html``;
}
