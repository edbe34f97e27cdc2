// Input meant to hurt: markup that runs script wherever a page puts it in unescaped (each leaves a trace a browser
// test can look for: window.__pledgeXss or a dialog), SQL, control characters and awkward unicode. The fuzzer sends
// them to every route; the browser test puts them in product names and ticket messages.

export const SCRIPT_PAYLOADS = [
  '<script>window.__pledgeXss=1</script>',
  '"><img src=x onerror="window.__pledgeXss=2">',
  "'><svg onload=window.__pledgeXss=3>",
  '</textarea></title><script>window.__pledgeXss=4</script>',
  '<a href="javascript:window.__pledgeXss=5">click</a>',
  '<iframe srcdoc="<script>parent.__pledgeXss=6</script>"></iframe>',
  '<details open ontoggle=alert(7)>',
] as const;

/** The payloads' openings, as they would stand in a page that did not escape them (any case, any spacing). */
const RAW = [/<script>window\.__pledgeXss/i, /<img\s+src=x\s+onerror/i, /<svg\s+onload/i, /<a\s+href="javascript:/i, /<iframe\s+srcdoc/i, /<details\s+open\s+ontoggle/i];

/** Where an HTML page shows one of SCRIPT_PAYLOADS unescaped. */
export function unescapedPayloads(markup: string): string[] {
  return RAW.filter((pattern) => pattern.test(markup)).map(String);
}

export const SQL_FRAGMENTS = ["' OR '1'='1", "'; DROP TABLE customer_account; --", '" OR ""="', '1) UNION SELECT password_hash FROM customer_account --', '$1::text', "\\'; --", '%27%20OR%201=1'] as const;

export const AWKWARD_TEXT = [
  '',
  ' ',
  '\u0000',
  'nul\u0000inside',
  '\r\nSet-Cookie: pledge_session=planted',
  '../../../../etc/passwd',
  '\u202Egnp.exe',
  'zero\u200Bwidth',
  '𝕳𝖊𝖑𝖑𝖔 👩‍👩‍👧‍👦',
  'e\u0301\u0301\u0301',
  '\uD800',
  '{{7*7}}${7*7}%s%n',
] as const;

export const NUMBER_TEXT = ['-1', '0', '-0', '1.5', '1e309', '9'.repeat(40), '0x1F', 'NaN', 'Infinity', '2147483648', '-2147483649', '9007199254740993', '१२३'] as const;
