// Server-rendered HTML from a tagged template that escapes every interpolated value unless it is itself Html.

const HTML = Symbol('html');

export type Html = { readonly [HTML]: true; readonly value: string; toString(): string };

type Interpolation = Html | string | number | bigint | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** Marks already-safe markup as Html. Only for markup Pledge itself produced, never for input. */
export function trusted(markup: string): Html {
  return { [HTML]: true, value: markup, toString: () => markup };
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && HTML in value) return value.value;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return trusted(out);
}

export function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && HTML in value;
}
