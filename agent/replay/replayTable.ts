/**
 * The table a replay agent answers from: a CSV keyed by the NAS-Bench-201 arch string (column `arch_str`, as
 * HW-NAS-Bench's `hwnasbench_nb201.csv` has it), one numeric column replayed as latency in ms, and optionally an
 * energy column in mJ and a noise column (replayNoise.ts). Every problem with the file is a ZeronasError naming the
 * file and the column: unreadable file ZN_IO; missing key or value column, duplicate arch string, or no usable row
 * ZN_BAD_DATA. Rows whose value is empty, not finite or negative are skipped and counted, never replayed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseCsvRows } from '../../shared/csv.js';
import { ZeronasError } from '../../shared/errors.js';
import { buildReplayNoise, type ReplayNoise } from './replayNoise.js';

/** The key column: the NAS-Bench-201 arch string, exactly as the benchmark writes it. */
export const REPLAY_KEY_COLUMN = 'arch_str';

export interface ReplaySpec {
  path: string;
  column: string;
}

/** `<csv>:<column>`, split on the LAST ':' (the path may contain ':' itself). */
export function parseReplaySpec(spec: string): ReplaySpec {
  const at = spec.lastIndexOf(':');
  const path = at < 0 ? '' : spec.slice(0, at);
  const column = at < 0 ? '' : spec.slice(at + 1);
  if (!path || !column) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `--replay '${spec}' must be <csv>:<column>, e.g. hwnasbench_nb201.csv:cifar10_raspi4_latency`,
      { spec },
    );
  }
  return { path, column };
}

/** One replayed column: the usable value of each arch, and the raw cell of each row skipped. */
export interface ReplayColumn {
  name: string;
  values: Map<string, number>;
  /** arch -> the raw cell that was not a finite non-negative number (tells "skipped" from "not in the table"). */
  skipped: Map<string, string>;
}

export interface ReplayEnergyColumn extends ReplayColumn {
  /** arch -> the step of the last printed digit of its cell, in J (the honest resolution of a published value). */
  resolutionJ: Map<string, number>;
}

export interface ReplayTable {
  /** The path as given, its base name (used in every label) and the sha256 of its bytes (part of the fingerprint). */
  file: string;
  basename: string;
  sha256: string;
  rows: number;
  /** Latency, ms. */
  latency: ReplayColumn;
  /** Energy per inference, mJ; null without --replay-energy. */
  energy: ReplayEnergyColumn | null;
  noise: ReplayNoise | null;
}

export interface ReplayTableOptions {
  column: string;
  noiseColumn?: string | null;
  energyColumn?: string | null;
}

/** A finite, non-negative number, or null (empty, 'nan', 'inf', negative, text). */
export function replayValue(cell: string): number | null {
  const text = cell.trim();
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** The step of the last printed digit of a decimal cell: '24.22661' -> 1e-5, '3e-2' -> 1e-2, '12' -> 1. */
export function decimalStep(cell: string): number | null {
  const m = /^[+-]?\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(cell.trim());
  if (!m) return null;
  const step = 10 ** (Number(m[2] ?? 0) - (m[1]?.length ?? 0));
  return step > 0 && Number.isFinite(step) ? step : null;
}

/** Parses the CSV text of a replay table; `file` only names it in errors and labels. */
export function parseReplayTable(text: string, file: string, options: ReplayTableOptions): ReplayTable {
  const rows = parseCsvRows(text);
  const header = rows[0] ?? [];
  const columnIndex = (name: string, role: string): number => {
    const k = header.indexOf(name);
    if (k < 0) {
      const shown =
        header.length > 40
          ? `${header.slice(0, 40).join(', ')}, ... (${header.length} in all)`
          : header.join(', ') || 'none';
      throw new ZeronasError(
        'ZN_BAD_DATA',
        `replay table '${file}' has no ${role} column '${name}'; its columns: ${shown}`,
        { file, column: name, columns: header },
      );
    }
    return k;
  };
  const keyAt = columnIndex(REPLAY_KEY_COLUMN, 'key (NAS-Bench-201 arch string)');
  const names = { latency: options.column, energy: options.energyColumn ?? null, noise: options.noiseColumn ?? null };
  if (names.noise !== null && names.noise === names.latency) {
    throw new ZeronasError(
      'ZN_BAD_ARGUMENT',
      `--replay-noise '${names.noise}' is the replayed column itself; name another column of '${file}' (e.g. the same device on another dataset)`,
      {
        file,
        column: names.noise,
      },
    );
  }
  const latencyAt = columnIndex(names.latency, 'latency');
  const energyAt = names.energy === null ? -1 : columnIndex(names.energy, 'energy');
  const noiseAt = names.noise === null ? -1 : columnIndex(names.noise, 'noise');

  const latency: ReplayColumn = { name: names.latency, values: new Map(), skipped: new Map() };
  const energy: ReplayEnergyColumn | null =
    names.energy === null
      ? null
      : { name: names.energy, values: new Map(), skipped: new Map(), resolutionJ: new Map() };
  const pairs: { main: number; noise: number }[] = [];
  const firstRow = new Map<string, number>();
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r]!;
    const line = r + 1;
    if (cells.length !== header.length) {
      throw new ZeronasError(
        'ZN_BAD_DATA',
        `replay table '${file}' line ${line} has ${cells.length} fields, its header has ${header.length}`,
        { file, line },
      );
    }
    const arch = cells[keyAt]!;
    const previous = firstRow.get(arch);
    if (previous !== undefined) {
      throw new ZeronasError(
        'ZN_BAD_DATA',
        `replay table '${file}' has arch '${arch.slice(0, 200)}' twice (lines ${previous} and ${line}); a replay key must be unique`,
        { file, arch, lines: [previous, line] },
      );
    }
    firstRow.set(arch, line);
    const main = replayValue(cells[latencyAt]!);
    if (main === null) latency.skipped.set(arch, cells[latencyAt]!);
    else latency.values.set(arch, main);
    if (energy) {
      const cell = cells[energyAt]!;
      const mJ = replayValue(cell);
      if (mJ === null) energy.skipped.set(arch, cell);
      else {
        energy.values.set(arch, mJ);
        energy.resolutionJ.set(arch, (decimalStep(cell) ?? 1e-9) / 1000);
      }
    }
    if (noiseAt >= 0) {
      const other = replayValue(cells[noiseAt]!);
      if (main !== null && main > 0 && other !== null && other > 0) pairs.push({ main, noise: other });
    }
  }
  if (latency.values.size === 0) {
    throw new ZeronasError(
      'ZN_BAD_DATA',
      `replay table '${file}' has no usable value in column '${latency.name}' (${latency.skipped.size} row(s), none a finite number >= 0)`,
      {
        file,
        column: latency.name,
        skipped: latency.skipped.size,
      },
    );
  }
  if (energy && energy.values.size === 0) {
    throw new ZeronasError(
      'ZN_BAD_DATA',
      `replay table '${file}' has no usable value in energy column '${energy.name}' (${energy.skipped.size} row(s), none a finite number >= 0)`,
      {
        file,
        column: energy.name,
        skipped: energy.skipped.size,
      },
    );
  }
  const noise =
    names.noise === null
      ? null
      : buildReplayNoise(pairs, { file, mainColumn: names.latency, noiseColumn: names.noise });
  return { file, basename: basename(file), sha256: '', rows: rows.length - 1, latency, energy, noise };
}

/** Reads and parses a replay table (see parseReplayTable); an unreadable file is ZN_IO naming the path. */
export function loadReplayTable(path: string, options: ReplayTableOptions): ReplayTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ZeronasError(
      'ZN_IO',
      `cannot read replay table '${path}': ${(err as Error).message}`,
      { file: path },
      err,
    );
  }
  const table = parseReplayTable(bytes.toString('utf8'), path, options);
  return { ...table, sha256: createHash('sha256').update(bytes).digest('hex') };
}
