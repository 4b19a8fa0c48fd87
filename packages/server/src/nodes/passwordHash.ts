/**
 * Node user passwords become crypt(3) SHA-512 hashes (`$6$<salt>$<hash>`, Ulrich Drepper's "Unix crypt using
 * SHA-256 and SHA-512", the format /etc/shadow uses) as soon as the server receives them: the store keeps the hash
 * and the agent hands it to `chpasswd -e`, so the password itself is never written anywhere. node:crypto has no
 * crypt(3), hence this implementation of the specification (checked against its published test vectors).
 */
import { createHash, randomBytes } from "node:crypto";

const alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The order in which the specification emits the 64 digest bytes, three at a time. */
const byteGroups: readonly (readonly [number, number, number])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

const defaultRounds = 5000;

/** A fresh 16-character salt from the crypt alphabet. */
export function randomCryptSalt(): string {
  return [...randomBytes(16)].map((byte) => alphabet[byte & 0x3f]).join("");
}

/** `$6$<salt>$<hash>` of `password` with the default 5000 rounds (salt: at most 16 characters, no `$`). */
export function sha512Crypt(password: string, salt: string = randomCryptSalt()): string {
  const key = Buffer.from(password, "utf8");
  const saltBytes = Buffer.from(salt, "utf8").subarray(0, 16);
  const sha512 = (...parts: Buffer[]): Buffer => {
    const hash = createHash("sha512");
    for (const part of parts) hash.update(part);
    return hash.digest();
  };
  /** `length` bytes of `block` repeated. */
  const stretch = (block: Buffer, length: number): Buffer => {
    const out = Buffer.alloc(length);
    for (let at = 0; at < length; at += block.length) block.copy(out, at, 0, Math.min(block.length, length - at));
    return out;
  };

  const alternate = sha512(key, saltBytes, key);
  const initial = createHash("sha512").update(key).update(saltBytes).update(stretch(alternate, key.length));
  for (let length = key.length; length > 0; length >>= 1) initial.update(length & 1 ? alternate : key);
  let digest = initial.digest();

  const keySequence = stretch(sha512(...Array<Buffer>(key.length).fill(key)), key.length);
  const saltSequence = stretch(sha512(...Array<Buffer>(16 + (digest[0] as number)).fill(saltBytes)), saltBytes.length);

  for (let round = 0; round < defaultRounds; round++) {
    const hash = createHash("sha512");
    hash.update(round & 1 ? keySequence : digest);
    if (round % 3 !== 0) hash.update(saltSequence);
    if (round % 7 !== 0) hash.update(keySequence);
    hash.update(round & 1 ? digest : keySequence);
    digest = hash.digest();
  }

  let encoded = "";
  const emit = (value: number, characters: number): void => {
    for (let i = 0; i < characters; i++, value >>= 6) encoded += alphabet[value & 0x3f];
  };
  for (const [high, middle, low] of byteGroups) {
    emit(((digest[high] as number) << 16) | ((digest[middle] as number) << 8) | (digest[low] as number), 4);
  }
  emit(digest[63] as number, 2);
  return `$6$${saltBytes.toString("utf8")}$${encoded}`;
}
