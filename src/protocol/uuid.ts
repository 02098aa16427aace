// UUIDs on the wire: 16 bytes, shown in the 8-4-4-4-12 hex form. Tables shared by the Writer and Reader.

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, '0'));

/** Where each byte's two hex digits start in the 36-char form. */
export const UUID_HEX_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** Value of one hex digit (either case), or -1. */
export function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}
