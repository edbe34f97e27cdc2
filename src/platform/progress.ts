// A progress bar for long CLI work, drawn only on a terminal; piped output gets the final line alone.

export type Progress = { update(done: number, total: number): void; finish(message: string): void };

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const width = 30;
  let last = '';
  return {
    update(done, total) {
      if (!stream.isTTY) return;
      const ratio = total === 0 ? 1 : Math.min(1, done / total);
      const filled = Math.round(ratio * width);
      const line = `${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${done}/${total}`;
      if (line === last) return;
      last = line;
      stream.write(`\r${line}`);
    },
    finish(message) {
      if (stream.isTTY && last) stream.write('\r\x1b[2K');
      stream.write(`${message}\n`);
    },
  };
}
