/**
 * Account roles. `admin` may use every admin route; `staff` runs events (QR attendance,
 * matchmaking pools); `volunteer` scans attendance QR codes; `player` joins matchmaking queues; `student` checks in to roll calls (the attendance app: its login is
 * the student's id in the QR app's roster).
 * An account may hold several roles.
 */
export const ROLES = ['admin', 'staff', 'volunteer', 'player', 'student'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
