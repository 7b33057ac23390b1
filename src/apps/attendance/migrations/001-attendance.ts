/**
 * The attendance app's tables. Roll calls: courses, sessions, check-ins (one per student and
 * session, one per device and session: the database's unique constraints keep check-ins
 * idempotent even while Redis is down), device bindings and photos. Stalls (seed 001): every scan
 * by its client-generated id (a retried scan is counted once), each student's current stall, and
 * the visits. Times are epoch milliseconds.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../../../db/migration.js';

export const attendance001: Migration = {
  name: 'attendance-001-roll-calls-stalls',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('att_courses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('att_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('course_id', 'text', (c) => c.notNull())
      .addColumn('room', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'bigint', (c) => c.notNull())
      .addColumn('ends_at', 'bigint', (c) => c.notNull())
      .addColumn('photo_required', 'integer', (c) => c.notNull())
      .addColumn('late_after_minutes', 'bigint')
      .addColumn('closed_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('att_sessions_course').on('att_sessions').columns(['course_id']).execute();
    await db.schema
      .createTable('att_checkins')
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('student_id', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('late', 'integer', (c) => c.notNull())
      .addColumn('flagged', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('photo_id', 'text')
      .addPrimaryKeyConstraint('att_checkins_pk', ['session_id', 'student_id'])
      .addUniqueConstraint('att_checkins_device', ['session_id', 'device_id'])
      .execute();
    await db.schema
      .createIndex('att_checkins_order')
      .on('att_checkins')
      .columns(['session_id', 'at', 'student_id'])
      .execute();
    await db.schema
      .createTable('att_devices')
      .addColumn('device_id', 'text', (c) => c.primaryKey())
      .addColumn('student_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('att_devices_student').on('att_devices').columns(['student_id']).execute();
    await db.schema
      .createTable('att_photos')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('student_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('att_photos_created').on('att_photos').columns(['created_at']).execute();
    await db.schema
      .createTable('att_stall_scans')
      .addColumn('scan_id', 'text', (c) => c.primaryKey())
      .addColumn('stall_id', 'text', (c) => c.notNull())
      .addColumn('student_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('result', 'text')
      .execute();
    await db.schema
      .createTable('att_stall_presence')
      .addColumn('student_id', 'text', (c) => c.primaryKey())
      .addColumn('stall_id', 'text')
      .addColumn('since', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('att_stall_presence_stall')
      .on('att_stall_presence')
      .columns(['stall_id'])
      .execute();
    await db.schema
      .createTable('att_stall_visits')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('stall_id', 'text', (c) => c.notNull())
      .addColumn('student_id', 'text', (c) => c.notNull())
      .addColumn('in_at', 'bigint', (c) => c.notNull())
      .addColumn('out_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('att_stall_visits_stall')
      .on('att_stall_visits')
      .columns(['stall_id'])
      .execute();
    await db.schema
      .createIndex('att_stall_visits_open')
      .on('att_stall_visits')
      .columns(['student_id', 'stall_id', 'out_at'])
      .execute();
  },
};
