//! XOR chunk encoding.
