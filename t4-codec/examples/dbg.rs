use t4_codec::*;
fn main() {
    let mut seed = 12345u64;
    let mut rnd = || { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; seed };
    for iter in 0..20000 {
        let columns = (rnd() % 60 + 1) as u32;
        let rows = (rnd() % 4 + 1) as usize;
        let rb = columns.div_ceil(8) as usize;
        let mut pels: Vec<u8> = (0..rb * rows).map(|_| { let r = rnd(); if r % 3 == 0 { r as u8 } else if r % 3 == 1 {0} else {0xff} }).collect();
        let tail = columns % 8;
        if tail != 0 { for row in pels.chunks_mut(rb) { row[rb-1] &= 0xFFu8 << (8 - tail); } }
        let mut p = Params::new(Coding::Mh, columns);
        p.black_is_1 = true;
        p.encoded_word_align = true;
        p.end_of_block = iter % 2 == 0;
        let coded = encode(&p, &pels).unwrap();
        match decode_image(&coded, &p, DecodeOptions::default()) {
            Ok(img) if img.data == pels && img.bad_rows == 0 => {}
            r => { println!("cols {columns} rows {rows} eob {} pels {:02x?}\ncoded {:02x?}\n{:?}", p.end_of_block, pels, coded, r.map(|i| (i.rows, i.bad_rows, i.data))); break; }
        }
    }
}
