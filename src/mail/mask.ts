// STAND-IN (branch issue12-recovery) of the mail branch's maskEmail.

/** `jane.doe@example.com` -> `j***e@example.com`; a local part of 3 characters or fewer is fully starred. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = [...email.slice(0, at)];
  const domain = email.slice(at + 1);
  const masked = local.length <= 3 ? '***' : `${local[0]}***${local[local.length - 1]}`;
  return `${masked}@${domain}`;
}
