import { Migration } from '@mikro-orm/migrations';
import { emailSkeleton } from '../src/users/lookalike';

const BATCH = 1000;

/**
 * Look-alike emails: each account's UTS #39 confusable skeleton (src/users/lookalike.ts), unique.
 *
 * Existing accounts are backfilled oldest first. When two of them already look alike, the older one gets
 * the skeleton and the newer keeps a null one: the deployment goes on, both accounts keep working, and
 * no new account can look like either. OPERATIONS.md gives the query that lists such accounts. The
 * skeleton is computed in TypeScript (PostgreSQL has no confusables table), so this migration runs its
 * statements itself, in order, inside its transaction.
 */
export class Migration20261201090000 extends Migration {

  override async up(): Promise<void> {
    await this.execute(`alter table "users" add column "email_skeleton" text null;`);
    await this.execute(`alter table "users" add constraint "users_email_skeleton_unique" unique ("email_skeleton");`);
    // Keyset pages by (created_at, id); the timestamp travels as text so that no precision is lost.
    let after: { at: string; id: string } | undefined;
    for (;;) {
      const rows = (await this.execute(
        `select "id", "email", "created_at"::text as "at" from "users"${after ? ` where ("created_at", "id") > (?::timestamptz, ?::uuid)` : ''} order by "created_at", "id" limit ${BATCH}`,
        after ? [after.at, after.id] : [],
      )) as { id: string; email: string; at: string }[];
      if (rows.length === 0) break;
      // The first of a batch to claim a skeleton keeps it; an earlier batch's claim is seen by `not exists`.
      const claimed = new Map<string, string>();
      for (const row of rows) {
        const skeleton = emailSkeleton(row.email);
        if (!claimed.has(skeleton)) claimed.set(skeleton, row.id);
      }
      const pairs = [...claimed].map(([skeleton, id]) => [id, skeleton]);
      await this.execute(
        `update "users" as u set "email_skeleton" = v.skeleton from (values ${pairs.map(() => '(?::uuid, ?)').join(', ')}) as v(id, skeleton)
         where u.id = v.id and not exists (select 1 from "users" as o where o."email_skeleton" = v.skeleton)`,
        pairs.flat(),
      );
      after = rows[rows.length - 1];
    }
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "users" drop column "email_skeleton";`);
  }

}
