/**
 * A tiny terminal screen model: replays what a program wrote to a pseudo-terminal and returns the rows left
 * on screen. Hand-written because no terminal emulator package (xterm-headless, node-pty) is installed; it
 * understands what tributary's CLI writes and the pseudo-terminal adds: printable text with auto-wrap at the
 * right margin, CR, LF (as CR LF, like a pty's onlcr; scrolling at the bottom), cursor up (CSI n A), erase in line (CSI n K) and erase in
 * display (CSI n J), and it ignores colours (SGR, CSI … m). Anything else it meets is an error, so the model
 * never silently disagrees with a real terminal.
 */
export function finalScreen(output: string, columns: number, rows: number): string[] {
  // Scrollback plus screen; the screen is the last `rows` lines once the text has scrolled.
  const lines: string[][] = [[]];
  let top = 0;
  let row = 0;
  let col = 0;
  const lineAt = (r: number) => {
    while (lines.length <= r) lines.push([]);
    return lines[r]!;
  };
  const lineFeed = () => {
    row++;
    lineAt(row);
    if (row - top >= rows) top = row - rows + 1;
  };
  const chars = Array.from(output);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\x1b') {
      if (chars[i + 1] !== '[')
        throw new Error(
          `screen model: unsupported escape at ${i}: ${JSON.stringify(chars.slice(i, i + 6).join(''))}`,
        );
      let j = i + 2;
      let params = '';
      while (j < chars.length && /[0-9;?]/.test(chars[j]!)) params += chars[j++];
      const final = chars[j];
      const n = params === '' ? undefined : Number(params.split(';')[0]);
      if (final === 'm') {
        // colours: no effect on text
      } else if (final === 'A') {
        row = Math.max(top, row - (n ?? 1));
      } else if (final === 'K') {
        const line = lineAt(row);
        if ((n ?? 0) === 0) line.length = Math.min(line.length, col);
        else if (n === 2) line.length = 0;
        else for (let k = 0; k <= col && k < line.length; k++) line[k] = ' ';
      } else if (final === 'J') {
        if ((n ?? 0) !== 0) throw new Error(`screen model: unsupported CSI ${params}J`);
        lineAt(row).length = Math.min(lineAt(row).length, col);
        lines.length = row + 1;
      } else {
        throw new Error(`screen model: unsupported CSI ${params}${final ?? ''}`);
      }
      i = j;
    } else if (ch === '\r') {
      col = 0;
    } else if (ch === '\n') {
      // A pseudo-terminal turns LF into CR LF (onlcr), and so does this model.
      col = 0;
      lineFeed();
    } else if (ch === '\b') {
      col = Math.max(0, col - 1);
    } else if (ch >= ' ') {
      if (col >= columns) {
        col = 0;
        lineFeed();
      }
      const line = lineAt(row);
      while (line.length < col) line.push(' ');
      line[col++] = ch;
    }
  }
  const screen: string[] = [];
  for (let r = top; r < top + rows; r++) screen.push((lines[r] ?? []).join('').trimEnd());
  return screen;
}
