use t4_codec::*;
fn main() {
    let coded = [0x80u8, 0x00, 0x35, 0x4e, 0x35, 0x80, 0x80];
    let mut p = Params::new(Coding::Mh, 3);
    p.black_is_1 = true; p.encoded_word_align = true; p.end_of_block = false;
    let mut d = Decoder::new(p).unwrap();
    let mut input = &coded[..];
    loop {
        let r = d.update(input);
        println!("{:?}", r);
        match r { Ok((n, pr)) => { input = &input[n..]; match pr { Progress::Row(_) => println!("  {:?}", d.changes()), Progress::NeedInput => d.end_input(), Progress::End => break } } Err(_) => break }
    }
}
