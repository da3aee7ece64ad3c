/** Reads a JSON file, naming it in the error (ZN_IO when it cannot be read, ZN_BAD_DATA when it is not JSON). */
import { readFile } from 'node:fs/promises';
import { ZeronasError } from '../../shared/errors.js';

/** `what` names the file's role in messages, e.g. 'lookup table'. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ZeronasError('ZN_IO', `cannot read ${what} '${path}': ${(err as Error).message}`, { path }, err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ZeronasError('ZN_BAD_DATA', `${what} '${path}' is not valid JSON: ${(err as Error).message}`, { path }, err);
  }
}
