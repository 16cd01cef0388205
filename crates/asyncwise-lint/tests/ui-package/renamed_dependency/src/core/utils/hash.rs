mod argon;

pub fn verify_password(password: &str, stored: &str) -> Result<(), String> {
    argon::verify_password(password, stored)
}

pub fn hash_password(password: &str) -> Result<String, String> {
    argon::hash_password(password)
}
