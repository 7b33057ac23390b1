/** The attendance app's tables as Kysely sees them (migration attendance-001). */

// Type aliases, not interfaces: Kysely's table map needs an index-signature-compatible type.
export type AttendanceTables = {
  att_courses: { id: string; name: string; created_at: number };
  att_sessions: {
    id: string;
    course_id: string;
    room: string;
    starts_at: number;
    ends_at: number;
    photo_required: number;
    late_after_minutes: number | null;
    closed_at: number | null;
    created_at: number;
  };
  att_checkins: {
    session_id: string;
    student_id: string;
    device_id: string | null;
    at: number;
    status: string;
    late: number;
    flagged: number;
    source: string;
    reason: string | null;
    photo_id: string | null;
  };
  att_devices: { device_id: string; student_id: string; created_at: number; last_seen_at: number };
  att_display_links: {
    id: string;
    session_id: string;
    secret_hash: string;
    created_at: number;
    expires_at: number;
    revoked_at: number | null;
  };
  att_photos: { id: string; student_id: string; type: string; bytes: number; created_at: number };
  att_stall_scans: {
    scan_id: string;
    stall_id: string;
    student_id: string;
    at: number;
    result: string | null;
  };
  att_stall_presence: { student_id: string; stall_id: string | null; since: number };
  att_stall_visits: {
    id: string;
    stall_id: string;
    student_id: string;
    in_at: number;
    out_at: number | null;
  };
};
