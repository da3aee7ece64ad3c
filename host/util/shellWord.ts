/** A shell word: as is when plainly safe, else single-quoted (arch strings hold | and ~, paths may hold spaces). */
export const shellWord = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
