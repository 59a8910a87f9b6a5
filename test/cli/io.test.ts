/**
 * The CLI's output helpers: progress on a terminal and in logs, and tables.
 */
import { progress, table } from '../../cli/io';

function capture(isTTY: boolean) {
  const written: string[] = [];
  const io = { stdout: () => undefined, stderr: (text: string) => written.push(text), env: {}, isTTY };
  return { io, written };
}

it('updates one line in place on a terminal and ends it with a newline', () => {
  // Prepare
  const { io, written } = capture(true);
  const shown = progress(io, 'redriving', { total: 3 });

  // Act
  for (let count = 1; count <= 3; count++) shown.update(count, `${count} moved`);
  shown.done();

  // Assess
  expect(written).toEqual([
    '\r\x1b[Kredriving: 1/3 (1 moved)',
    '\r\x1b[Kredriving: 2/3 (2 moved)',
    '\r\x1b[Kredriving: 3/3 (3 moved)',
    '\n',
  ]);
});

it('prints a plain line every n items and the final count when not on a terminal', () => {
  // Prepare
  const { io, written } = capture(false);
  const shown = progress(io, 'runs checked', { every: 50 });

  // Act
  for (let count = 1; count <= 120; count++) shown.update(count);
  shown.done();

  // Assess
  expect(written).toEqual(['runs checked: 50\n', 'runs checked: 100\n', 'runs checked: 120\n']);
});

it('lays rows out in columns under a header', () => {
  // Act
  const lines = table(
    ['attempt', 'run'],
    [
      ['0', 'a1'],
      ['12', 'b2'],
    ],
  );

  // Assess
  expect(lines).toEqual(['attempt  run', '-------  ---', '0        a1', '12       b2']);
});
