// Package tree is the file level of the FIF format: it opens a FIF file,
// reads its tag directory (through the directory pointer, or by walking the
// tags when the pointer is missing or the directory is damaged), builds the
// tree of nested blocks, and reads tag payloads on demand with positioned
// reads, so that any part of a large file can be read without loading the
// rest. It also writes FIF files: tags, nested blocks and a directory, to a
// temporary name that is renamed only when the file is complete (safe
// against a killed process; files are not fsynced).
//
// Every error names the file, the byte offset and the tag kind involved.
// Sizes and offsets read from the file are checked against the file size
// before anything is allocated, so a corrupt or hostile file produces an
// error, never a panic or an unbounded allocation.
package tree
