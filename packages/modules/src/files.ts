/**
 * The file family of builtin modules (file, copy, template, lineinfile, blockinfile, ini_file)
 * and the pieces they share: the `file.state` fact, the mode parser, the atomic write path, the
 * file diff, and the managed file (render -> compare -> validate -> write -> reload) that
 * service packages build their configuration modules on.
 */
export { file, FileParams } from './file/file.js';
export { copy, CopyParams } from './copy/copy.js';
export { template, TemplateParams } from './template/template.js';
export { lineinfile, LineinfileParams } from './lineinfile/lineinfile.js';
export { blockinfile, BlockinfileParams } from './blockinfile/blockinfile.js';
export { iniFile, IniFileParams } from './ini-file/ini-file.js';
export { fileState, parseFileState, MAX_CONTENT_BYTES } from './file/file-state.js';
export type { FileState, FileInfo, FileStateArgs } from './file/file-state.js';
export { parseMode, resolveMode, formatMode, chmodOperand, ModeParam } from './file/mode.js';
export type { ModeSpec, SymbolicClause } from './file/mode.js';
export { writeFileSteps, attributeSteps } from './file/atomic-write.js';
export type { WriteFileSpec, AttributeSpec } from './file/atomic-write.js';
export { fileDiff } from './file/file-diff.js';
export type { DiffSecrecy, SecretSettings } from './file/file-diff.js';
export { planAttributes, attributeParams, principalOperand, samePrincipal } from './file/file-attributes.js';
export type { AttributeParams, AttributePlan, PrincipalsKnown } from './file/file-attributes.js';
export { filePrincipals, principalFacts } from './file/principals.js';
export type { FilePrincipals, FilePrincipalsArgs } from './file/principals.js';
export { compilePythonRegex } from './file/python-regex.js';
export type { PythonRegexOptions } from './file/python-regex.js';
/** @deprecated Import `expandPythonTemplate` from `@converge/core`. */
export { expandPythonTemplate as expandTemplate } from '@converge/core';
export { contentFile, contentFacts, planContentWrite, applyContentWrite, desiredBytes } from './copy/content-write.js';
export type { ContentWriteParams, ContentWriteData } from './copy/content-write.js';
export { replace, ReplaceParams, replaceText, pythonSub } from './replace/replace.js';
export { wholeFile } from './copy/whole-file.js';
export type { WholeFile } from './copy/whole-file.js';
export { FILE_STATE_PRELUDE } from './file/file-state.js';
/** @deprecated Import it from `@converge/core`. */
export { sha256Hex } from '@converge/core';
export { defineManagedFile, managedFileChanges } from './managed-file/managed-file.js';
export type { ManagedFile, ManagedFileDefinition, ManagedFileDifference, ManagedFileContext, ManagedFilePlan, ManagedFileWrite, FromModel, SecretDiff } from './managed-file/managed-file.js';
