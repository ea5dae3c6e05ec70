/**
 * An address as a notice may show it to someone who may not own the account any more (the old address of
 * an email change): enough to recognise, not enough to learn. `jane.doe@example.com` → `j***e@example.com`;
 * a local part of three characters or fewer is starred whole (`al@example.com` → `***@example.com`).
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  const local = [...email.slice(0, at)];
  const domain = email.slice(at + 1);
  const masked = local.length <= 3 ? '***' : `${local[0]}***${local[local.length - 1]}`;
  return `${masked}@${domain}`;
}
