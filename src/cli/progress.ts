/**
 * A progress bar for long steps, drawn on stderr only when it is a terminal (CI logs and pipes stay clean).
 */
export interface Progress {
  update(done: number, total: number, note?: string): void;
  done(message?: string): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  const started = Date.now();
  let last = 0;
  return {
    update(done, total, note = "") {
      if (!tty) return;
      const now = Date.now();
      if (done < total && now - last < 80) return; // ~12 redraws a second is plenty
      last = now;
      const width = 30;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * width);
      const rate = done / Math.max(0.001, (now - started) / 1000);
      stream.write(`\r${label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s ${note}\x1b[K`);
    },
    done(message) {
      if (tty) stream.write("\r\x1b[K");
      if (message) stream.write(`${message}\n`);
    },
  };
}
