export * from './files.js';
export * from './system.js';
