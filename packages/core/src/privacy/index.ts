export * from './personal-data-member.js';
export * from './personal-fields.js';
export * from './personal-paths.js';
export * from './pointer.js';
export * from './seal-personal-data.js';
