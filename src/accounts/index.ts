export { type Account, Accounts, type NewAccount } from './accounts.js';
export { type AdminVerdict, Auth, sessionUser } from './auth.js';
export { AccountError } from './errors.js';
export { ROLES, type Role } from './roles.js';
